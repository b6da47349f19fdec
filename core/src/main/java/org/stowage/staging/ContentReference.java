package org.stowage.staging;

import java.nio.charset.StandardCharsets;
import org.stowage.Metadata;
import org.stowage.cas.Digest;

/**
 * The small object that stands at a namespaced location in content-addressed mode, in place of
 * the content itself. Its format, UTF-8 text, is:
 *
 * <pre>
 * stowage-content-reference 1
 * digest sha256:&lt;hex&gt;:&lt;size&gt;
 * md5 &lt;md5 hex&gt;
 * location &lt;location of the content&gt;
 * </pre>
 *
 * <p>with one {@code \n} after each line. A reader that finds an object of at most {@link
 * #MAX_BYTES} bytes that parses as this format resolves it; anything else is content.
 */
record ContentReference(Digest digest, Metadata metadata, String contentLocation) {
  static final int MAX_BYTES = 1024;
  private static final String MAGIC = "stowage-content-reference 1";

  byte[] toBytes() {
    return (MAGIC + "\ndigest " + digest + "\nmd5 " + metadata.md5() + "\nlocation " + contentLocation + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Parses a reference, or returns {@code null} if {@code bytes} is not one. */
  static ContentReference parse(byte[] bytes) {
    if (bytes.length > MAX_BYTES) {
      return null;
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    if (lines.length != 5 || !lines[0].equals(MAGIC) || !lines[4].isEmpty()
        || !lines[1].startsWith("digest ") || !lines[2].startsWith("md5 ") || !lines[3].startsWith("location ")) {
      return null;
    }
    try {
      Digest digest = Digest.parse(lines[1].substring("digest ".length()));
      Metadata metadata = new Metadata(lines[2].substring("md5 ".length()), digest.size());
      String location = lines[3].substring("location ".length());
      if (!org.stowage.Location.isValid(location)) {
        return null;
      }
      return new ContentReference(digest, metadata, location);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
