package io.dranode.agent.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 written by hand over a socket: request lines, paths and headers that {@code
 * java.net.http} refuses to send. One request per connection ({@code Connection: close}).
 */
final class RawHttp {

  private RawHttp() {}

  /** A response: status, headers (names lower-cased) and body. */
  record Response(int status, Map<String, String> headers, String body) {
    String contentType() {
      return headers.getOrDefault("content-type", "");
    }

    boolean problem() {
      return contentType().startsWith("application/problem+json");
    }
  }

  /** Sends a GET-like request; {@code extraHeaders} are raw lines ending in CRLF. */
  static Response request(int port, String method, String path, String extraHeaders)
      throws IOException {
    String head =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + extraHeaders
            + "\r\n";
    return send(port, head.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Sends the bytes and reads the answer until the server closes. A server that answers before it
   * has read everything (a header too large) may reset the connection under our feet: what it
   * answered is still read.
   */
  static Response send(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
        socket.shutdownOutput();
      } catch (IOException e) {
        // the server answered and closed early; read what it said
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) != -1; ) {
          answer.write(buffer, 0, n);
        }
      } catch (IOException e) {
        if (answer.size() == 0) {
          throw e;
        }
      }
      return parse(answer.toString(StandardCharsets.ISO_8859_1));
    }
  }

  private static Response parse(String raw) {
    int headEnd = raw.indexOf("\r\n\r\n");
    if (!raw.startsWith("HTTP/1.1 ") || headEnd < 0) {
      throw new IllegalStateException("not an HTTP/1.1 response: " + raw);
    }
    String[] lines = raw.substring(0, headEnd).split("\r\n");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    String body = raw.substring(headEnd + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = unchunk(body);
    }
    return new Response(status, headers, body);
  }

  private static String unchunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int lineEnd = chunked.indexOf("\r\n", at);
      if (lineEnd < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      body.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return body.toString();
  }
}
