package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.Objects;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.cas.Digest;

class ContentReferenceTest {
  private static final Digest DIGEST = Digest.sha256("x".getBytes(UTF_8));
  private static final String MD5 = "9dd4e461268c8034f5c8564e155c67a6";

  @Test
  @DisplayName("parse accepts exactly four lines (the magic, digest, md5 and location), each ended by a newline")
  void parseAgreesWithTheFormat() {
    String[] tokens = {"stowage-content-reference 1", "stowage-content-reference 2", "\n", "digest ",
        DIGEST.toString(), "md5 ", MD5, "location ", "cas/a", "a/b", "a//b", " ", "", "\r"};
    qt().withExamples(5000)
        .forAll(lists().of(integers().between(0, tokens.length - 1)).ofSizeBetween(0, 12))
        .check(picks -> {
          StringBuilder text = new StringBuilder();
          picks.forEach(i -> text.append(tokens[i]));
          byte[] bytes = text.toString().getBytes(UTF_8);
          return Objects.equals(bySplitting(bytes), ContentReference.parse(bytes));
        });
    ContentReference r = new ContentReference(DIGEST, new Metadata(MD5, 1), "cas/a");
    assertEquals(r, ContentReference.parse(r.toBytes()));
    assertNull(ContentReference.parse((new String(r.toBytes(), UTF_8) + "\n").getBytes(UTF_8)));
    assertNull(ContentReference.parse(new String(r.toBytes(), UTF_8).replace("\n", "\r\n").getBytes(UTF_8)));
  }

  /** The format's definition, line by line: what {@link ContentReference#parse} must agree with. */
  private static ContentReference bySplitting(byte[] bytes) {
    String[] lines = new String(bytes, UTF_8).split("\n", -1);
    if (bytes.length > ContentReference.MAX_BYTES || lines.length != 5
        || !lines[0].equals("stowage-content-reference 1") || !lines[4].isEmpty()
        || !lines[1].startsWith("digest ") || !lines[2].startsWith("md5 ") || !lines[3].startsWith("location ")) {
      return null;
    }
    try {
      Digest digest = Digest.parse(lines[1].substring("digest ".length()));
      Metadata metadata = new Metadata(lines[2].substring("md5 ".length()), digest.size());
      String location = lines[3].substring("location ".length());
      return Location.isValid(location) ? new ContentReference(digest, metadata, location) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
