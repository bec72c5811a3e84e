"""Emitters: the folded dataflow graph (with its width converters and sized FIFOs, see
generator/passes) as one stitched RTL module (rtl.py) and one HLS DATAFLOW top (hls.py)."""
