"""Writes tiny_classifier.safetensors (TinyClassifier's state dict from ../train.py) with the
standard library alone, following the safetensors format: an 8-byte little-endian header
size, a JSON header with dtype/shape/data_offsets per tensor, then the raw little-endian data.
The weights are seeded random numbers, so the file is the same on every run."""
import json
import random
import struct
from pathlib import Path

random.seed(0)
shapes = {
    "net.0.weight": [16, 8],
    "net.0.bias": [16],
    "net.3.weight": [3, 16],
    "net.3.bias": [3],
}
header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for name, shape in shapes.items():
    count = 1
    for dim in shape:
        count *= dim
    data = struct.pack(f"<{count}f", *(random.gauss(0.0, 0.3) for _ in range(count)))
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
encoded = json.dumps(header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)  # pad so the data starts 8-byte aligned, as the reference writer does
out = Path(__file__).with_name("tiny_classifier.safetensors")
out.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
print(f"wrote {out} ({out.stat().st_size} bytes)")
