package io.dranode.agent.security;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns unusable TLS files into a start-up message that says what to change. */
public final class TlsFilesFailureAnalyzer extends AbstractFailureAnalyzer<TlsFilesException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, TlsFilesException cause) {
    return new FailureAnalysis(
        "The TLS certificate of dra.agent.security.mode=kubernetes cannot be used: "
            + cause.getMessage(),
        "Point dra.agent.security.tls.certificate-file and dra.agent.security.tls.private-key-file"
            + " at a PEM certificate chain and its unencrypted private key (tls.crt and tls.key"
            + " of a kubernetes.io/tls Secret, e.g. from cert-manager), or set neither for a"
            + " self-signed certificate.",
        cause);
  }
}
