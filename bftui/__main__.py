from bftui.cli import main

raise SystemExit(main())
