"""A small safetensors reader and writer on numpy (no dependency on the safetensors package).

Layout (huggingface/safetensors, as cm4j's dev.cm4j.models.io.SafeTensors writes it): an 8-byte little-endian
header length N; N bytes of UTF-8 JSON, {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
"__metadata__": {"key": "string", ...}}, padded with spaces; then the raw little-endian tensor bytes, offsets relative
to the end of the header. cm4j writes F32 with the metadata keys sorted and the header padded to a multiple of 8.

read(path) -> (tensors, metadata): tensors in header order (name -> numpy array, float32 for F16/BF16/F32),
                                   metadata a dict of strings (empty when absent)
write(path, tensors, metadata=None): float32 arrays in the given order, metadata keys sorted
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"),
           "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "U8": np.dtype("u1")}
_MAX_HEADER = 100 * 1024 * 1024


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > _MAX_HEADER or 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} does not fit a file of {len(blob)} bytes")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    expected = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        dtype, shape = entry["dtype"], [int(d) for d in entry["shape"]]
        if begin != expected or end > len(data):
            raise ValueError(f"{path}: tensor {name} has offsets [{begin}, {end}), expected to start at {expected}"
                             f" within {len(data)} data bytes")
        count = int(np.prod(shape, dtype=np.int64))
        raw = data[begin:end]
        if dtype == "BF16":
            if len(raw) != 2 * count:
                raise ValueError(f"{path}: tensor {name} BF16 {shape} needs {2 * count} bytes, has {len(raw)}")
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif dtype in _DTYPES:
            dt = _DTYPES[dtype]
            if len(raw) != dt.itemsize * count:
                raise ValueError(f"{path}: tensor {name} {dtype} {shape} needs {dt.itemsize * count} bytes,"
                                 f" has {len(raw)}")
            arr = np.frombuffer(raw, dtype=dt)
            if dtype == "F16":
                arr = arr.astype(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}, not one of BF16 {' '.join(_DTYPES)}")
        tensors[name] = np.array(arr.reshape(shape))  # a writable copy, detached from the file's bytes
        expected = end
    if expected != len(data):
        raise ValueError(f"{path}: {len(data) - expected} bytes after the last tensor")
    # header order, as written
    order = list(header)
    return {k: tensors[k] for k in order}, dict(metadata)


def write(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    offset = 0
    arrays = []
    for name, value in tensors.items():
        arr = np.ascontiguousarray(value, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        arrays.append(arr)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for arr in arrays:
            f.write(arr.tobytes())
