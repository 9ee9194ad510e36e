from alkseq.cli import run

run()
