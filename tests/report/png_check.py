#!/usr/bin/env python3
"""Decodes a PNG screenshot with zlib alone (no imaging library) and says
whether it shows a rendered page: its size, how many distinct colours,
and how much of it is not background.

usage: png_check.py FILE.png MIN_WIDTH MIN_HEIGHT MIN_COLOURS
prints "WxH colours=N ink=P%" and exits 1 when below a minimum."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG file')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unsupported PNG (depth %d, colour type %d)' % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    path, min_w, min_h, min_colours = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    w, h, bpp, rows = decode(path)
    colours, ink, total = set(), 0, 0
    background = rows[0][:3]
    for y in range(0, h, 2):  # every other row and column: plenty, and fast
        row = rows[y]
        for x in range(0, w, 2):
            px = row[x * bpp:x * bpp + 3]
            colours.add(px)
            total += 1
            ink += px != background
    share = 100.0 * ink / total if total else 0
    print('%dx%d colours=%d ink=%.1f%%' % (w, h, len(colours), share))
    ok = w >= min_w and h >= min_h and len(colours) >= min_colours and share >= 5
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
