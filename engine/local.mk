# engine/: the durable KV engine (engine/kv.h).

# veristore-kv, the engine shell: see engine/shell.mk.
include %D%/shell.mk
