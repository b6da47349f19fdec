package org.stowage.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.Objects;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

class ContentLayoutTest {
  private static final String HEX = "ab12" + "0".repeat(60);

  @Test
  @DisplayName("contentKey accepts exactly <prefix>/<algorithm>/<h0h1>/<h2h3>/<hex>, and inContentTree holds for all it accepts")
  void contentKeyAgreesWithTheLayout() {
    for (String prefix : new String[] {"cas", "", "a/b"}) {
      ContentAddressedStore cas = ContentAddressedStore.builder(new TreeMapStorage()).prefix(prefix).build();
      ContentLayout layout = new ContentLayout(cas);
      String p = prefix.isEmpty() ? "" : prefix + "/";
      String[] tokens = {p, "sha256", "sha512", "md5", "/", "ab", "12", "AB", "0", HEX, HEX + HEX, "0".repeat(64), "x"};
      qt().withExamples(3000)
          .forAll(lists().of(integers().between(0, tokens.length - 1)).ofSizeBetween(0, 10))
          .check(picks -> {
            StringBuilder location = new StringBuilder();
            picks.forEach(i -> location.append(tokens[i]));
            String key = layout.contentKey(location.toString());
            return Objects.equals(bySplitting(p, location.toString()), key)
                && (key == null || layout.inContentTree(location.toString()));
          });
      Digest d = new Digest(Digest.SHA256, HEX, 1);
      assertEquals("sha256:" + HEX, layout.contentKey(cas.location(d)));
      assertTrue(layout.inContentTree(cas.location(d)));
      assertEquals(null, layout.contentKey(p + "sha256/ab/13/" + HEX));
      assertFalse(layout.inContentTree(p + "dag/unit/out"));
    }
  }

  /** The layout's definition, segment by segment: what {@link ContentLayout#contentKey} must agree with. */
  private static String bySplitting(String prefix, String location) {
    if (!location.startsWith(prefix)) {
      return null;
    }
    String[] s = location.substring(prefix.length()).split("/", -1);
    int hexLength = s[0].equals("sha256") ? 64 : s[0].equals("sha512") ? 128 : -1;
    if (hexLength < 0 || s.length != 4 || s[1].length() != 2 || s[2].length() != 2 || s[3].length() != hexLength
        || !s[3].startsWith(s[1] + s[2]) || !s[3].matches("[0-9a-f]+")) {
      return null;
    }
    return s[0] + ":" + s[3];
  }
}
