package io.crmlake.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;

/**
 * A line decoded strictly in its source's encoding: the text (bad bytes replaced, for display only)
 * and the position of the first byte not valid in the encoding, or -1. Header lines and data lines
 * are decoded alike.
 */
record DecodedLine(String text, int badByte) {

  static DecodedLine decode(CharsetDecoder decoder, byte[] bytes, int length) {
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
    CharBuffer out = CharBuffer.allocate((int) (length * (double) decoder.maxCharsPerByte()) + 1);
    decoder.reset();
    decoder.onMalformedInput(CodingErrorAction.REPORT);
    decoder.onUnmappableCharacter(CodingErrorAction.REPORT);
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (!r.isError()) {
      out.flip();
      return new DecodedLine(out.toString(), -1);
    }
    int bad = in.position();
    String lenient = new String(bytes, 0, length, Charset.forName(decoder.charset().name()));
    return new DecodedLine(lenient, bad);
  }

  /** The text without a leading byte-order mark. */
  static String stripBom(String line) {
    return line.startsWith("\uFEFF") ? line.substring(1) : line;
  }
}
