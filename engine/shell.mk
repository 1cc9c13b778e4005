# veristore-kv, the engine shell (engine/kv_shell.c).
