package org.stowage.staging;

import java.util.Objects;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

/**
 * Where a {@link ContentAddressedStore} keeps what: content under {@code
 * <prefix>/<algorithm>/<h0h1>/<h2h3>/<hex>}, and the lifecycle's own small objects (collection
 * markers and their late roots) under {@link #collections()}. Derived from the store's {@link
 * ContentAddressedStore#location} alone, so that nothing else about the store need be public.
 */
final class ContentLayout {
  private static final String ZEROS = "0".repeat(64);

  private final ContentAddressedStore cas;
  /** The content prefix with its slash ({@code "cas/"}), or {@code ""}. */
  private final String prefix;
  private final String collections;

  ContentLayout(ContentAddressedStore cas) {
    this.cas = Objects.requireNonNull(cas, "cas");
    String zero = cas.location(new Digest(Digest.SHA256, ZEROS, 0));
    String tail = Digest.SHA256 + "/00/00/" + ZEROS;
    this.prefix = zero.substring(0, zero.length() - tail.length());
    this.collections = prefix.isEmpty() ? "cas-collections/" : prefix + "collections/";
  }

  ContentAddressedStore cas() {
    return cas;
  }

  /** The prefix of collection markers and late roots, with its slash. */
  String collections() {
    return collections;
  }

  /** The main content tree, {@code <prefix>sha256/}, where nearly all content is. */
  String mainContentTree() {
    return prefix + Digest.SHA256 + "/";
  }

  /** Whether {@code location} belongs to the lifecycle's own objects (markers, late roots). */
  boolean isBookkeeping(String location) {
    return location.startsWith(collections);
  }

  /**
   * Whether {@code location} is under one of the content trees ({@code <prefix>/sha256/} or
   * {@code sha512/}): a cheap first look, true for every location {@link #contentKey} accepts.
   */
  boolean inContentTree(String location) {
    return location.startsWith(prefix)
        && (location.startsWith(Digest.SHA256 + "/", prefix.length())
            || location.startsWith(Digest.SHA512 + "/", prefix.length()));
  }

  /**
   * The content key ({@code algorithm:hex}) of a content location, or {@code null} if {@code
   * location} is not where this layout puts content.
   */
  String contentKey(String location) {
    // <prefix><alg>/ab/cd/<hex>, checked in place: one string made, the key (called per object)
    int start = prefix.length();
    String algorithm;
    int hexLength;
    if (location.startsWith(Digest.SHA256 + "/", start)) {
      algorithm = Digest.SHA256;
      hexLength = 64;
    } else if (location.startsWith(Digest.SHA512 + "/", start)) {
      algorithm = Digest.SHA512;
      hexLength = 128;
    } else {
      return null;
    }
    if (!location.startsWith(prefix)) {
      return null;
    }
    int rest = start + algorithm.length() + 1;
    int hex = rest + 6;
    if (location.length() != hex + hexLength || location.charAt(rest + 2) != '/' || location.charAt(rest + 5) != '/'
        || !location.regionMatches(rest, location, hex, 2) || !location.regionMatches(rest + 3, location, hex + 2, 2)
        || !Digest.isLowerHex(location, hex, location.length())) {
      return null;
    }
    return algorithm + ":" + location.substring(hex);
  }

  /** The content key of a digest: {@code algorithm:hex}. */
  static String key(Digest digest) {
    return digest.algorithm() + ":" + digest.hex();
  }

  /** The content location of a content key. */
  String location(String key) {
    int colon = key.indexOf(':');
    return cas.location(new Digest(key.substring(0, colon), key.substring(colon + 1), 0)); // the size is not in it
  }
}
