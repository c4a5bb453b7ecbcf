cell wrap: 0 minus 1 is 255 and 255 plus 1 is 0 on 8 bit cells
prints 255 (one byte) then 0 then the letter A
-.+.
++++++++[>++++++++<-]>+.
