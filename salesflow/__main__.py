from salesflow.cli import main

raise SystemExit(main())
