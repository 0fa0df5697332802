from minimax_agent.entry import main

main()
