package io.dranode.agent.input;

import java.util.Locale;

/**
 * How text the agent does not control (what a plugin sends, an API server's error) is shown in
 * reasons, logs, Events and APIs: control and invisible formatting characters (bidirectional
 * overrides, zero-width spaces) escaped, quotes and backslashes escaped when quoting, a lone
 * surrogate replaced, and the whole cut to a bound that counts what is shown, so that a hostile
 * plugin can neither flood nor forge output.
 */
public final class Untrusted {

  /** Characters of an untrusted value shown in a reason before it is cut. */
  public static final int QUOTE_MAX = 80;

  private static final String ELLIPSIS = "…";

  private Untrusted() {}

  /** The value in double quotes, escaped and cut at about {@value #QUOTE_MAX} characters. */
  public static String quote(String value) {
    return shown(value, true);
  }

  /** The value escaped and cut at about {@value #QUOTE_MAX} characters, without quotes. */
  public static String clean(String value) {
    return shown(value, false);
  }

  /**
   * A whole message made safe to show: what {@link #clean} escapes is escaped, and the result is at
   * most {@code maxBytes} bytes of UTF-8, a cut marked with "…".
   */
  public static String bounded(String message, int maxBytes) {
    StringBuilder out = new StringBuilder(Math.min(message.length(), maxBytes) + 4);
    int bytes = 0;
    int ellipsisBytes = utf8Length(ELLIPSIS);
    for (int i = 0; i < message.length(); ) {
      int codePoint = message.codePointAt(i);
      int next = i + Character.charCount(codePoint);
      String piece = piece(codePoint, false);
      int pieceBytes = utf8Length(piece);
      int room = next >= message.length() ? maxBytes : maxBytes - ellipsisBytes;
      if (bytes + pieceBytes > room) {
        return out.append(ELLIPSIS).toString();
      }
      out.append(piece);
      bytes += pieceBytes;
      i = next;
    }
    return out.toString();
  }

  private static String shown(String value, boolean quoted) {
    StringBuilder out = new StringBuilder(QUOTE_MAX + 32);
    if (quoted) {
      out.append('"');
    }
    int limit = quoted ? QUOTE_MAX + 1 : QUOTE_MAX;
    int i = 0;
    while (i < value.length() && out.length() < limit) {
      int codePoint = value.codePointAt(i);
      out.append(piece(codePoint, quoted));
      i += Character.charCount(codePoint);
    }
    if (quoted) {
      out.append('"');
    }
    if (i < value.length()) {
      out.append(ELLIPSIS).append(" (").append(value.length()).append(" characters)");
    }
    return out.toString();
  }

  /** One code point as it is shown. */
  private static String piece(int codePoint, boolean quoted) {
    if (Character.isISOControl(codePoint)
        || Character.getType(codePoint) == Character.FORMAT
        || codePoint == 0x2028
        || codePoint == 0x2029
        || quoted && (codePoint == '"' || codePoint == '\\')) {
      return String.format(Locale.ROOT, "\\u%04x", codePoint);
    }
    if (Character.getType(codePoint) == Character.SURROGATE) {
      return "\uFFFD"; // a lone surrogate is no character at all, and no valid UTF-8
    }
    return new String(Character.toChars(codePoint));
  }

  private static int utf8Length(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); ) {
      int codePoint = s.codePointAt(i);
      bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
      i += Character.charCount(codePoint);
    }
    return bytes;
  }
}
