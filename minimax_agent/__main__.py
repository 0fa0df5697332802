from minimax_agent.cli.entry import main

main()
