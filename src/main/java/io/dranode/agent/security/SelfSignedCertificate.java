package io.dranode.agent.security;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.pem.PemSslStore;

/**
 * A self-signed server certificate made at start-up when no certificate files are configured, as
 * controller-runtime does for its metrics: an EC P-256 key, valid for a year, for the node's name,
 * the pod's IP and the loopback names (for {@code kubectl port-forward}). Clients cannot verify it;
 * it only keeps tokens and answers off the wire in plain text. Nothing of this class (or of the
 * X.509 library) is loaded unless it is used.
 */
final class SelfSignedCertificate {

  static final Duration VALIDITY = Duration.ofDays(365);

  /** Clocks of clients a little behind ours still accept it. */
  static final Duration BACKDATE = Duration.ofHours(1);

  private SelfSignedCertificate() {}

  static PemSslStore make(String nodeName, @Nullable String podIp, Clock clock) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, nodeName).build();
      Instant now = clock.instant();
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(127, new SecureRandom()),
              Date.from(now.minus(BACKDATE)),
              Date.from(now.plus(VALIDITY)),
              subject,
              keys.getPublic());
      builder.addExtension(
          Extension.subjectAlternativeName, false, new GeneralNames(names(nodeName, podIp)));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      X509Certificate certificate =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
      return PemSslStore.of(List.of(certificate), keys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException(
          "cannot make a self-signed TLS certificate: " + e.getMessage(), e);
    }
  }

  private static GeneralName[] names(String nodeName, @Nullable String podIp) {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.dNSName, nodeName));
    names.add(new GeneralName(GeneralName.dNSName, "localhost"));
    if (podIp != null) {
      names.add(new GeneralName(GeneralName.iPAddress, podIp));
    }
    names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    names.add(new GeneralName(GeneralName.iPAddress, "::1"));
    return names.toArray(GeneralName[]::new);
  }
}
