from codeconn.cli import main

main()
