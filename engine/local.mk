# engine/: the durable KV engine (engine/kv.h).
