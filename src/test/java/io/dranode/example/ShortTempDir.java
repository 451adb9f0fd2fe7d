package io.dranode.example;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * A temp dir directly under {@code /tmp} with a short name ({@code /tmp/ex<digits>}, at most 27
 * bytes), so that socket paths below it, pod UIDs included, stay under the 108-byte limit.
 */
public final class ShortTempDir implements TempDirFactory {

  @Override
  public Path createTempDirectory(
      AnnotatedElementContext elementContext, ExtensionContext extensionContext) throws Exception {
    return Files.createTempDirectory(Path.of("/tmp"), "ex");
  }
}
