package io.dranode.agent.security;

/** The TLS certificate or key files cannot be used; the message names the file and the problem. */
final class TlsFilesException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  TlsFilesException(String message) {
    super(message);
  }

  TlsFilesException(String message, Throwable cause) {
    super(message, cause);
  }
}
