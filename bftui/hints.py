"""Advice shown in more than one front end (app, REPL, gen), worded once."""

UNFAMILIAR = ("this request looks unlike what the agent was trained on (confidence {confidence:.2f}); "
              "teach it: add the request and its expected output to a task set (ctrl+n in the app, "
              ":expect in the REPL) and train (ctrl+t, :train, or bftui train --from default --tasks FILE)")


def known_families() -> str:
    """One line per agent: the families it was trained on."""
    from bfcore.tasks import FAMILIES

    lines = [f"print agent (constant answers): {', '.join(FAMILIES)}"]
    try:
        from bfcore.synth.families import load_families

        fams = load_families()
        reads = sorted(n for n, f in fams.items() if f.reads_input)
        consts = sorted(n for n, f in fams.items() if not f.reads_input)
        lines.append(f"synthesis agent (reads input, loops): {', '.join(reads)}; "
                     f"constant: {', '.join(consts)}")
    except (OSError, ValueError):
        pass
    return "\n".join(lines)
