package org.stowage.staging;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of content keys in bounded memory: a scalable Bloom filter (a chain of Guava {@link
 * BloomFilter}s, each twice the capacity of the one before and with half its false-positive rate),
 * so no count pass is needed and the memory follows the number of keys actually added.
 *
 * <p>{@link #mightContain} is never false for a key that was {@linkplain #put put}; it is true for
 * a key never put with probability at most the configured rate (the stages' rates sum to less
 * than it). The garbage collector asks it "is this content referenced?", so a false positive
 * keeps some garbage and never deletes live content.
 *
 * <p>Heap: about {@code -ln(p) / ln(2)^2} bits per key for the first stage's rate {@code p}
 * (9.6 bits at 1%), a little more in later stages; see {@link #bitsPerKey}. Thread-safe.
 */
final class DigestFilter {
  private final double falsePositiveRate;
  private final List<BloomFilter<CharSequence>> stages = new ArrayList<>();
  private long stageCapacity;
  private long inStage;
  private long keys;

  /**
   * @param expectedKeys the capacity of the first stage (at least 1,024)
   * @param falsePositiveRate the bound on false positives, over all stages
   */
  DigestFilter(long expectedKeys, double falsePositiveRate) {
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw new IllegalArgumentException("falsePositiveRate must be in (0, 1): " + falsePositiveRate);
    }
    this.falsePositiveRate = falsePositiveRate;
    this.stageCapacity = Math.max(1024, expectedKeys);
    stages.add(newStage(0));
  }

  private BloomFilter<CharSequence> newStage(int index) {
    double rate = falsePositiveRate / Math.pow(2, index + 1);
    return BloomFilter.create(Funnels.stringFunnel(StandardCharsets.UTF_8), stageCapacity, rate);
  }

  synchronized void put(String key) {
    int last = stages.size() - 1;
    for (int i = 0; i < last; i++) {
      if (stages.get(i).mightContain(key)) {
        return;
      }
    }
    if (inStage >= stageCapacity) {
      if (stages.get(last).mightContain(key)) {
        return;
      }
      stageCapacity *= 2;
      stages.add(newStage(stages.size()));
      inStage = 0;
      last++;
    }
    // put is true exactly when a bit changed, that is when the stage did not contain the key:
    // one hash of the key instead of a look-up and then a put.
    if (stages.get(last).put(key)) {
      inStage++;
      keys++;
    }
  }

  synchronized boolean mightContain(String key) {
    for (BloomFilter<CharSequence> stage : stages) {
      if (stage.mightContain(key)) {
        return true;
      }
    }
    return false;
  }

  /** Distinct keys added (a key taken for present by a false positive is not counted). */
  synchronized long keys() {
    return keys;
  }

  /** The bytes of the filters' bit arrays: what this set holds on the heap, within a few hundred bytes. */
  synchronized long bytes() {
    double bits = 0;
    long capacity = Math.max(1024, stageCapacity / (1L << (stages.size() - 1)));
    for (int i = 0; i < stages.size(); i++) {
      bits += capacity * bitsPerKey(falsePositiveRate / Math.pow(2, i + 1));
      capacity *= 2;
    }
    return (long) Math.ceil(bits / 8);
  }

  /** The bits per key of a Bloom filter of optimal shape at false-positive rate {@code p}. */
  static double bitsPerKey(double p) {
    return -Math.log(p) / (Math.log(2) * Math.log(2));
  }
}
