"""A small GGUF v3 writer and reader (the subset this tool needs): scalar, string and
array metadata; F32 and Q8_0 tensors, 32-byte aligned."""

import struct

import numpy as np

MAGIC = b"GGUF"
VERSION = 3
ALIGNMENT = 32

# Metadata value types.
UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY = 4, 5, 6, 7, 8, 9
# Tensor types.
F32, Q8_0 = 0, 8
QK8_0 = 32
Q8_0_BLOCK_BYTES = 2 + QK8_0


def quantize_q8_0(x):
    """ggml's reference quantizer: per block of 32, d = amax/127 stored as fp16,
    q = roundf(x / d) computed with the unrounded d."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, QK8_0)
    d = np.abs(x).max(axis=1) / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    scaled = x * inv[:, None]
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))).astype(np.int8)  # roundf
    blocks = np.zeros(len(x), dtype=[("d", "<f2"), ("qs", "i1", QK8_0)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def dequantize_q8_0(raw, count):
    blocks = np.frombuffer(raw, dtype=[("d", "<f2"), ("qs", "i1", QK8_0)], count=count // QK8_0)
    return (blocks["d"].astype(np.float32)[:, None] * blocks["qs"].astype(np.float32)).reshape(-1)


def _string(s):
    data = s.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _value(kind, value):
    if kind == UINT32:
        return struct.pack("<I", value)
    if kind == INT32:
        return struct.pack("<i", value)
    if kind == FLOAT32:
        return struct.pack("<f", value)
    if kind == BOOL:
        return struct.pack("<B", 1 if value else 0)
    if kind == STRING:
        return _string(value)
    raise ValueError(f"unsupported metadata type {kind}")


class GgufWriter:
    def __init__(self):
        self.metadata = []  # (key, type, value, element type for arrays)
        self.tensors = []   # (name, shape ne0-first, type, bytes)

    def add(self, key, kind, value):
        self.metadata.append((key, kind, value, None))

    def add_array(self, key, element_kind, values):
        self.metadata.append((key, ARRAY, list(values), element_kind))

    def add_tensor(self, name, array, kind):
        """array in row-major (rows, cols) order; GGUF's shape is [cols, rows]."""
        array = np.ascontiguousarray(array, dtype=np.float32)
        raw = array.tobytes() if kind == F32 else quantize_q8_0(array)
        self.tensors.append((name, list(reversed(array.shape)), kind, raw))

    def write(self, path):
        out = bytearray(MAGIC + struct.pack("<IQQ", VERSION, len(self.tensors), len(self.metadata)))
        for key, kind, value, element_kind in self.metadata:
            out += _string(key) + struct.pack("<I", kind)
            if kind == ARRAY:
                out += struct.pack("<IQ", element_kind, len(value))
                for v in value:
                    out += _value(element_kind, v)
            else:
                out += _value(kind, value)
        offset = 0
        for name, shape, kind, raw in self.tensors:
            out += _string(name) + struct.pack("<I", len(shape))
            out += b"".join(struct.pack("<Q", n) for n in shape)
            out += struct.pack("<IQ", kind, offset)
            offset += _aligned(len(raw))
        out += b"\0" * (_aligned(len(out)) - len(out))
        for _, _, _, raw in self.tensors:
            out += raw + b"\0" * (_aligned(len(raw)) - len(raw))
        with open(path, "wb") as f:
            f.write(out)


def _aligned(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


class GgufReader:
    """Reads back what GgufWriter writes: metadata dict and tensors as float32 arrays."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        self.pos = 0
        if self.buf[:4] != MAGIC:
            raise ValueError(f"{path}: not a GGUF file")
        self.pos = 4
        version, n_tensors, n_kv = self._unpack("<IQQ")
        if version != VERSION:
            raise ValueError(f"{path}: GGUF version {version}, expected {VERSION}")
        self.metadata = {}
        for _ in range(n_kv):
            key = self._string()
            (kind,) = self._unpack("<I")
            self.metadata[key] = self._read_value(kind)
        infos = []
        for _ in range(n_tensors):
            name = self._string()
            (n_dims,) = self._unpack("<I")
            shape = list(self._unpack(f"<{n_dims}Q"))
            kind, offset = self._unpack("<IQ")
            infos.append((name, shape, kind, offset))
        data_start = _aligned(self.pos)
        self.tensors = {}
        for name, shape, kind, offset in infos:
            count = int(np.prod(shape))
            start = data_start + offset
            if kind == F32:
                values = np.frombuffer(self.buf, dtype="<f4", count=count, offset=start)
            elif kind == Q8_0:
                size = count // QK8_0 * Q8_0_BLOCK_BYTES
                values = dequantize_q8_0(self.buf[start:start + size], count)
            else:
                raise ValueError(f"tensor {name}: unsupported type {kind}")
            self.tensors[name] = values.reshape(list(reversed(shape))).astype(np.float32)

    def _unpack(self, fmt):
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def _string(self):
        (n,) = self._unpack("<Q")
        s = self.buf[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def _read_value(self, kind):
        if kind == ARRAY:
            element_kind, n = self._unpack("<IQ")
            return [self._read_value(element_kind) for _ in range(n)]
        if kind == STRING:
            return self._string()
        fmt = {UINT32: "<I", INT32: "<i", FLOAT32: "<f", BOOL: "<B"}[kind]
        return self._unpack(fmt)[0]
