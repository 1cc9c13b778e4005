# veristore-kv, the engine shell (engine/kv_shell.c).
bin_PROGRAMS += veristore-kv
veristore_kv_SOURCES = engine/kv_shell.c
veristore_kv_LDADD = engine/libengine.a $(ENGINE_LIBS)
