"""The thin web layer: parse the request, call the search core, render its value as HTML or JSON."""
