"""Chinese text resources shared by translate/ and filters/: one loader for each.

The lowest layer: it imports nothing from the project, so both translate/ (which turns
Chinese into English) and filters/ (which screens it) can use the same OpenCC converter and
the same CC-CEDICT vocabulary without importing each other.
"""
