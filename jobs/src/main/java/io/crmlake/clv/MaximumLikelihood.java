package io.crmlake.clv;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularMatrixException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.linalg.DenseVector;
import org.apache.spark.mllib.linalg.Vector;
import org.apache.spark.mllib.linalg.Vectors;
import org.apache.spark.mllib.optimization.Gradient;
import org.apache.spark.mllib.optimization.LBFGS;
import org.apache.spark.mllib.optimization.SimpleUpdater;
import org.apache.spark.mllib.optimization.SquaredL2Updater;
import org.apache.spark.mllib.optimization.Updater;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Maximum-likelihood fitting of a model whose log-likelihood is a sum over customers (or over
 * groups of identical customers, each row weighted by its count). The sums and their gradients are
 * Spark aggregations over the rows — the driver only ever holds the parameters — and Spark MLlib's
 * L-BFGS minimises the mean negative log-likelihood over log-parameters (so they stay positive),
 * with an optional L2 penalty on the log-parameters, from several starting points. Standard errors
 * come from the inverse of the observed information (the Hessian of −LL, by central differences of
 * the analytic gradient).
 */
public final class MaximumLikelihood {
  private static final Logger LOG = LoggerFactory.getLogger(MaximumLikelihood.class);

  /** A model: per-row log-likelihood and its gradient with respect to the natural parameters. */
  public interface Family extends Serializable {
    String name();

    String[] names();

    /** Log-likelihood of one row's data at theta; adds the gradient to grad when not null. */
    double logLikelihood(double[] theta, double[] data, double[] grad);
  }

  /** Fit settings: iterations per start, convergence tolerance, L2 penalty on log-parameters. */
  public record Options(int maxIterations, double tolerance, double l2Penalty) {}

  /** The result of a fit. */
  public record Fit(
      double[] params,
      double[] standardErrors,
      double logLikelihood,
      int iterations,
      long evaluations,
      boolean converged,
      double gradientNorm,
      long fitMillis) {}

  private MaximumLikelihood() {}

  /**
   * Fits the family to {@code rows}: (weight, data) pairs, the weight being the number of customers
   * a row stands for. Tries every start (natural parameters) and keeps the highest likelihood.
   *
   * @throws FitException when no start converges
   */
  public static Fit fit(
      JavaRDD<Tuple2<Object, Vector>> rows, Family family, List<double[]> starts, Options o) {
    long t0 = System.nanoTime();
    double customers = rows.map(t -> (Double) t._1()).reduce(Double::sum);
    long n = rows.count();
    if (n == 0) {
      throw new FitException(family.name() + ": no customers to fit");
    }
    LongAccumulator calls = rows.context().longAccumulator(family.name() + " likelihood rows");
    Updater updater = o.l2Penalty() > 0 ? new SquaredL2Updater() : new SimpleUpdater();
    List<Descent> descents = new ArrayList<>();
    for (double[] start : starts) {
      descents.add(
          descend(
              rows,
              family,
              start,
              o,
              updater,
              new NegativeLogLikelihood(family, n / customers, calls),
              customers));
    }
    Descent best = best(family, descents);
    int totalIterations = descents.stream().mapToInt(Descent::iterations).sum();
    long evaluations = Math.round(calls.value() / (double) n);
    double[] se = standardErrors(rows, family, best.theta());
    return new Fit(
        best.theta(),
        se,
        best.logLikelihood(),
        totalIterations,
        evaluations,
        true,
        best.gradientNorm(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * One L-BFGS descent from a start: where it ended, or why it failed ({@code failure} not null;
   * {@code iterations} 0 when the optimiser threw).
   */
  private record Descent(
      double[] theta,
      double logLikelihood,
      int iterations,
      double gradientNorm,
      boolean converged,
      String failure) {}

  /**
   * Minimises the objective from {@code start} and evaluates the log-likelihood and gradient where
   * it stops: converged when both are finite, within the iterations, and (unpenalised) the largest
   * gradient per customer is under 1e-4.
   */
  private static Descent descend(
      JavaRDD<Tuple2<Object, Vector>> rows,
      Family family,
      double[] start,
      Options o,
      Updater updater,
      NegativeLogLikelihood objective,
      double customers) {
    Tuple2<Vector, double[]> result;
    try {
      result =
          LBFGS.runLBFGS(
              rows.rdd(),
              objective,
              updater,
              10,
              o.tolerance(),
              o.maxIterations(),
              o.l2Penalty(),
              Vectors.dense(log(start)));
    } catch (RuntimeException e) {
      LOG.warn("{} fit from {} failed: {}", family.name(), Arrays.toString(start), e.toString());
      return new Descent(
          null, Double.NaN, 0, Double.NaN, false, Arrays.toString(start) + ": " + e.getMessage());
    }
    int iterations = result._2().length - 1;
    double[] theta = exp(result._1().toArray());
    double[] sums = evaluate(rows, family, theta);
    double ll = sums[0];
    double gradNorm = 0;
    for (int i = 0; i < theta.length; i++) {
      gradNorm = Math.max(gradNorm, Math.abs(sums[i + 1] * theta[i]) / customers);
    }
    boolean converged =
        Double.isFinite(ll)
            && iterations < o.maxIterations()
            && (o.l2Penalty() > 0 || gradNorm < 1e-4);
    LOG.debug(
        "{} from {}: params {}, log-likelihood {}, {} iterations, |gradient|/customer {}{}",
        family.name(),
        Arrays.toString(start),
        Arrays.toString(theta),
        ll,
        iterations,
        gradNorm,
        converged ? "" : " (not converged)");
    String failure =
        converged
            ? null
            : Arrays.toString(start)
                + ": stopped after "
                + iterations
                + " iterations with |gradient|/customer "
                + gradNorm;
    return new Descent(theta, ll, iterations, gradNorm, converged, failure);
  }

  /**
   * The converged descent of highest log-likelihood (the first of equals).
   *
   * @throws FitException when none converged, listing why each failed
   */
  private static Descent best(Family family, List<Descent> descents) {
    Descent best = null;
    for (Descent d : descents) {
      if (d.converged() && (best == null || d.logLikelihood() > best.logLikelihood())) {
        best = d;
      }
    }
    if (best == null) {
      throw new FitException(
          family.name()
              + " did not converge from any of "
              + descents.size()
              + " starting points ("
              + String.join("; ", descents.stream().map(Descent::failure).toList())
              + "); raise clv.max-iterations, or set clv.l2-penalty > 0 to regularise");
    }
    return best;
  }

  /** Σ weight × (log-likelihood, gradient) over the rows: one Spark aggregation. */
  public static double[] evaluate(
      JavaRDD<Tuple2<Object, Vector>> rows, Family family, double[] theta) {
    int d = theta.length;
    return rows.treeAggregate(
        new double[d + 1],
        (acc, row) -> {
          double w = (Double) row._1();
          double[] g = new double[d];
          acc[0] += w * family.logLikelihood(theta, row._2().toArray(), g);
          for (int i = 0; i < d; i++) {
            acc[i + 1] += w * g[i];
          }
          return acc;
        },
        (x, y) -> {
          for (int i = 0; i <= d; i++) {
            x[i] += y[i];
          }
          return x;
        });
  }

  /** Square roots of the diagonal of the inverse observed information; NaN if it is singular. */
  static double[] standardErrors(
      JavaRDD<Tuple2<Object, Vector>> rows, Family family, double[] theta) {
    int d = theta.length;
    double[][] h = new double[d][d];
    for (int i = 0; i < d; i++) {
      double step = 1e-5 * theta[i];
      double[] up = theta.clone();
      double[] down = theta.clone();
      up[i] += step;
      down[i] -= step;
      double[] gu = evaluate(rows, family, up);
      double[] gd = evaluate(rows, family, down);
      for (int j = 0; j < d; j++) {
        h[i][j] = -(gu[j + 1] - gd[j + 1]) / (2 * step);
      }
    }
    RealMatrix info = new Array2DRowRealMatrix(d, d);
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        info.setEntry(i, j, (h[i][j] + h[j][i]) / 2);
      }
    }
    double[] se = new double[d];
    try {
      RealMatrix cov = new LUDecomposition(info).getSolver().getInverse();
      for (int i = 0; i < d; i++) {
        se[i] = cov.getEntry(i, i) > 0 ? Math.sqrt(cov.getEntry(i, i)) : Double.NaN;
      }
    } catch (SingularMatrixException e) {
      Arrays.fill(se, Double.NaN);
    }
    return se;
  }

  private static double[] log(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.log(v[i]);
    }
    return out;
  }

  private static double[] exp(double[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.exp(v[i]);
    }
    return out;
  }

  /**
   * MLlib's per-row loss: −weight × LL × scale, gradient with respect to the log-parameters. With
   * scale = rows / customers, MLlib's mean over rows is the mean over customers, so grouped and
   * per-customer rows minimise the same objective (and the L2 penalty weighs the same).
   */
  static final class NegativeLogLikelihood extends Gradient {
    private static final long serialVersionUID = 1L;
    private final Family family;
    private final double scale;
    private final LongAccumulator calls;

    NegativeLogLikelihood(Family family, double scale, LongAccumulator calls) {
      this.family = family;
      this.scale = scale;
      this.calls = calls;
    }

    @Override
    public double compute(Vector data, double weight, Vector logTheta, Vector cumGradient) {
      double[] phi = logTheta.toArray();
      double[] theta = exp(phi);
      double[] g = new double[theta.length];
      double ll = family.logLikelihood(theta, data.toArray(), g);
      double[] cum = ((DenseVector) cumGradient).values();
      for (int i = 0; i < theta.length; i++) {
        cum[i] -= weight * scale * g[i] * theta[i];
      }
      calls.add(1);
      return -weight * scale * ll;
    }
  }

  /** A fit that did not converge, or had nothing to fit. */
  public static final class FitException extends RuntimeException {
    public FitException(String message) {
      super(message);
    }
  }
}
