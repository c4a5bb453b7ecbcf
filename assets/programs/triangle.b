triangle: nine rows of stars; row i has i stars
cells: 0 rows left; 1 star; 2 newline; 3 row length; 4 scratch
+++++++++
>>>>++++++[<<<+++++++>>>-]
<<++++++++++
<<[
  >>>+
  [>+<<<.>>-]
  >[<+>-]<
  <.
  <<-
]
