cat: copy input to output until end of input (needs the default eof=zero)
,[.,]
