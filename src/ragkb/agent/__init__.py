"""The file agent: a natural-language instruction becomes a plan of file operations inside one root
folder (:mod:`.plan`), made by rules (:mod:`.rules`) or an LLM with tools (:mod:`.llm_planner`),
checked by the sandbox (:mod:`.sandbox`) and, once confirmed, executed with backups, an audit log,
crash recovery and undo (:mod:`.execute`). See docs/architecture.md, "File agent"."""
