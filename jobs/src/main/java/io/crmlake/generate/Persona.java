package io.crmlake.generate;

/**
 * The planted behaviour groups of generated customers. Each persona draws a purchase rate (gamma),
 * a dropout probability after each repeat purchase (beta) and a spend factor (gamma) around its own
 * means, so groups overlap but differ. {@code truth/customers} records each customer's persona for
 * tests.
 */
public enum Persona {
  // weight, purchases/year, dropout beta(a, b), lines per order, spend factor
  CHAMPION(0.10, 8.0, 1.0, 30.0, 3.2, 2.2),
  LOYAL(0.30, 3.5, 2.0, 30.0, 2.4, 1.4),
  BARGAIN(0.25, 4.5, 2.0, 20.0, 2.0, 0.8),
  OCCASIONAL(0.35, 2.5, 2.0, 6.0, 1.8, 1.2);

  final double weight;
  final double ratePerYear;
  final double dropoutA;
  final double dropoutB;
  final double linesPerOrder;
  final double spendFactor;

  Persona(
      double weight,
      double ratePerYear,
      double dropoutA,
      double dropoutB,
      double linesPerOrder,
      double spendFactor) {
    this.weight = weight;
    this.ratePerYear = ratePerYear;
    this.dropoutA = dropoutA;
    this.dropoutB = dropoutB;
    this.linesPerOrder = linesPerOrder;
    this.spendFactor = spendFactor;
  }

  static Persona pick(double u) {
    double acc = 0;
    for (Persona p : values()) {
      acc += p.weight;
      if (u < acc) {
        return p;
      }
    }
    return OCCASIONAL;
  }
}
