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
 * #MAX_BYTES} bytes that parses as this format resolves it; anything else is content. An object
 * that begins with {@link #MAGIC_PREFIX} (the magic of any version) but does not parse is a
 * malformed reference: a reader resolving a handle takes it for content, but a {@link
 * ContentCollector} refuses to sweep while one is in the store (docs/staging.md, "Lifecycle").
 */
record ContentReference(Digest digest, Metadata metadata, String contentLocation) {
  static final int MAX_BYTES = 1024;
  private static final String MAGIC = "stowage-content-reference 1";
  /** How every version's magic line begins; an object that begins so claims to be a reference. */
  static final String MAGIC_PREFIX = "stowage-content-reference ";
  private static final byte[] MAGIC_PREFIX_BYTES = MAGIC_PREFIX.getBytes(StandardCharsets.US_ASCII);

  byte[] toBytes() {
    return (MAGIC + "\ndigest " + digest + "\nmd5 " + metadata.md5() + "\nlocation " + contentLocation + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Whether {@code head}, the first bytes of an object, begins with {@link #MAGIC_PREFIX}. */
  static boolean claimedBy(byte[] head) {
    return head.length >= MAGIC_PREFIX_BYTES.length
        && java.util.Arrays.equals(head, 0, MAGIC_PREFIX_BYTES.length, MAGIC_PREFIX_BYTES, 0, MAGIC_PREFIX_BYTES.length);
  }

  /** Parses a reference, or returns {@code null} if {@code bytes} is not one. */
  static ContentReference parse(byte[] bytes) {
    if (bytes.length > MAX_BYTES) {
      return null;
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    // Exactly four lines, each ended by '\n' (a collection parses one per reference: no split).
    int end0 = text.indexOf('\n');
    int end1 = end0 < 0 ? -1 : text.indexOf('\n', end0 + 1);
    int end2 = end1 < 0 ? -1 : text.indexOf('\n', end1 + 1);
    int end3 = end2 < 0 ? -1 : text.indexOf('\n', end2 + 1);
    if (end3 != text.length() - 1 || end0 != MAGIC.length() || !text.startsWith(MAGIC)
        || !text.startsWith("digest ", end0 + 1) || !text.startsWith("md5 ", end1 + 1)
        || !text.startsWith("location ", end2 + 1)) {
      return null;
    }
    try {
      Digest digest = Digest.parse(text.substring(end0 + 1 + "digest ".length(), end1));
      Metadata metadata = new Metadata(text.substring(end1 + 1 + "md5 ".length(), end2), digest.size());
      String location = text.substring(end2 + 1 + "location ".length(), end3);
      if (!org.stowage.Location.isValid(location)) {
        return null;
      }
      return new ContentReference(digest, metadata, location);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
