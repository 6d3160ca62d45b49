/** JMH benchmarks. */
package dev.llamaj.benchmarks;
