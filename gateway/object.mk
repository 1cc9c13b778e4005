# The object layer: store interface, objects, chunks, multipart, GC.
