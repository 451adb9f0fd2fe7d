package io.dranode.agent.watch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.jspecify.annotations.Nullable;

/** File-type checks for registry entries; symbolic links are never followed. */
final class SocketFiles {

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private SocketFiles() {}

  /** Names starting with a dot are ignored, like the kubelet does. */
  static boolean hidden(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  /**
   * The identity (device and inode) of a Unix socket at this path, or null when the path is not a
   * socket (a regular file, a FIFO, a folder, a symbolic link) or is gone.
   */
  static @Nullable Object socketKey(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if (!(mode instanceof Integer bits) || (bits & S_IFMT) != S_IFSOCK) {
        return null;
      }
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /** The identity (device and inode) of the folder at this path, or null when there is none. */
  static @Nullable Object folderKey(Path path) {
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attributes.isDirectory() ? attributes.fileKey() : null;
    } catch (IOException e) {
      return null;
    }
  }

  static boolean isDirectory(Path path) {
    return Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
  }
}
