#!/usr/bin/env python3
"""An independent reader of TensorBoard event files, for tests/io/tensorboard_events_test.cpp.

    python3 tests/io/read_tfevents.py FILE             -> one JSON object per event on stdout
    python3 tests/io/read_tfevents.py --protobuf FILE  -> the same, each record parsed by the
                                                          protobuf library (python3-protobuf)

It shares no code with aime's writer: its own bitwise CRC-32C (no table), its own check of
TFRecord's framing and masked CRCs, its own protobuf wire-format decoder. It exits 1 with a
message on any framing, CRC or wire-format error. Fields, as tensorflow's event.proto and
summary.proto number them: Event{1 wall_time double, 2 step int64, 3 file_version string,
5 summary}; Summary{1 value}; Value{1 tag, 2 simple_value float, 4 image};
Image{1 height, 2 width, 3 colorspace, 4 encoded_image_string}.
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf):
    """(field number, wire type, value) of every field of a message."""
    i = 0
    while i < len(buf):
        k, i = varint(buf, i)
        number, wire = k >> 3, k & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire} of field {number}")
        yield number, wire, v


def decode_event(data):
    event = {}
    for number, wire, v in fields(data):
        if number == 1 and wire == 1:
            event["wall_time"] = struct.unpack("<d", v)[0]
        elif number == 2 and wire == 0:
            event["step"] = v - (1 << 64) if v >= 1 << 63 else v
        elif number == 3 and wire == 2:
            event["file_version"] = v.decode()
        elif number == 5 and wire == 2:
            event["values"] = []
            for n, w, value in fields(v):
                if n != 1 or w != 2:
                    raise ValueError(f"Summary field {n}")
                out = {}
                for vn, vw, x in fields(value):
                    if vn == 1:
                        out["tag"] = x.decode()
                    elif vn == 2 and vw == 5:
                        out["simple_value"] = struct.unpack("<f", x)[0]
                    elif vn == 4 and vw == 2:
                        image = {}
                        for im, iw, y in fields(x):
                            name = {1: "height", 2: "width", 3: "colorspace", 4: "encoded_image_string"}[im]
                            image[name] = y.hex() if im == 4 else y
                        out["image"] = image
                    else:
                        raise ValueError(f"Value field {vn} wire {vw}")
                event["values"].append(out)
        else:
            raise ValueError(f"Event field {number} wire {wire}")
    return event


def protobuf_event_class():
    """tensorflow's Event, Summary, Summary.Value and Summary.Image (the fields TensorBoard
    reads), declared as descriptors and parsed by the protobuf library itself."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    F = descriptor_pb2.FieldDescriptorProto
    f = descriptor_pb2.FileDescriptorProto(name="aime_event_check.proto", package="tensorflow", syntax="proto3")

    def message(name, specs, parent=None):
        m = (parent.nested_type if parent else f.message_type).add(name=name)
        for fname, number, ftype, label, type_name in specs:
            fd = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                fd.type_name = type_name
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    summary = message("Summary", [("value", 1, F.TYPE_MESSAGE, rep, ".tensorflow.Summary.Value")])
    message("Image", [("height", 1, F.TYPE_INT32, opt, None), ("width", 2, F.TYPE_INT32, opt, None),
                      ("colorspace", 3, F.TYPE_INT32, opt, None), ("encoded_image_string", 4, F.TYPE_BYTES, opt, None)],
            summary)
    message("Value", [("tag", 1, F.TYPE_STRING, opt, None), ("simple_value", 2, F.TYPE_FLOAT, opt, None),
                      ("image", 4, F.TYPE_MESSAGE, opt, ".tensorflow.Summary.Image")], summary)
    message("Event", [("wall_time", 1, F.TYPE_DOUBLE, opt, None), ("step", 2, F.TYPE_INT64, opt, None),
                      ("file_version", 3, F.TYPE_STRING, opt, None),
                      ("summary", 5, F.TYPE_MESSAGE, opt, ".tensorflow.Summary")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    descriptor = pool.FindMessageTypeByName("tensorflow.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def decode_with_protobuf(event_class, data):
    e = event_class()
    e.ParseFromString(data)
    if e.UnknownFields() if hasattr(e, "UnknownFields") else False:
        raise ValueError("fields the Event does not declare")
    out = {"wall_time": e.wall_time, "step": e.step}
    if e.file_version:
        out["file_version"] = e.file_version
    if e.HasField("summary"):
        out["values"] = []
        for v in e.summary.value:
            item = {"tag": v.tag}
            if v.HasField("image"):
                item["image"] = {"height": v.image.height, "width": v.image.width, "colorspace": v.image.colorspace,
                                 "encoded_image_string": v.image.encoded_image_string.hex()}
            else:
                item["simple_value"] = v.simple_value
            out["values"].append(item)
    return out


def main():
    use_protobuf = sys.argv[1] == "--protobuf"
    path = sys.argv[2] if use_protobuf else sys.argv[1]
    decode = decode_event
    if use_protobuf:
        event_class = protobuf_event_class()
        decode = lambda data: decode_with_protobuf(event_class, data)  # noqa: E731
    sys.argv[1:] = [path]
    buf = open(sys.argv[1], "rb").read()
    i = 0
    while i < len(buf):
        if len(buf) - i < 12:
            sys.exit(f"{sys.argv[1]}: truncated record header at byte {i}")
        header = buf[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", buf[i + 8:i + 12])
        if header_crc != masked(crc32c(header)):
            sys.exit(f"{sys.argv[1]}: bad length CRC at byte {i}")
        data = buf[i + 12:i + 12 + length]
        if len(data) != length or len(buf) < i + 16 + length:
            sys.exit(f"{sys.argv[1]}: truncated record at byte {i}")
        (data_crc,) = struct.unpack("<I", buf[i + 12 + length:i + 16 + length])
        if data_crc != masked(crc32c(data)):
            sys.exit(f"{sys.argv[1]}: bad data CRC at byte {i}")
        try:
            print(json.dumps(decode(data)))
        except Exception as e:  # noqa: BLE001 (any decoding error is the file's)
            sys.exit(f"{sys.argv[1]}: record at byte {i}: {e}")
        i += 16 + length


if __name__ == "__main__":
    main()
