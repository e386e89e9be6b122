from coresponder.cli import main

main()
