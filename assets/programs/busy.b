busy: three nested counted loops (200 x 200 x 10) with copy loops inside
prints one byte: a checksum of the work
cells: 0 outer; 1 middle; 2 inner; 3 4 5 work; 6 scratch
>>>>>>++++++++++[<<<<<<++++++++++++++++++++>>>>>>-]<<<<<<
[
  >>>>>>++++++++++[<<<<<++++++++++++++++++++>>>>>-]<<<<<
  [
    >++++++++++[
      >+++[->+>++<<]
      >[-<+>]
      <<-
    ]
    <-
  ]
  <-
]
>>>>>.
