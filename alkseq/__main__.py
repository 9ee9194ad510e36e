from alkseq.cli import main

main()
