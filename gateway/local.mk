# gateway/: see DESIGN.md. Sources are added here as the module grows.

include %D%/object.mk

include %D%/server.mk
