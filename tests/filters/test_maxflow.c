/* test_maxflow.c: tests of the grid max-flow (filters/maxflow.c).
 *
 * Hand-checked tiny graphs, a brute-force comparison over every partition of small grids with
 * capacities from a fixed-seed generator, flow reuse (lr_graph_add_terminals) against graphs solved
 * from scratch, and a larger grid whose minimum cut is known analytically.
 */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "filters/maxflow.h"

/* Deterministic generator so every run tests the same graphs. */
static uint32_t
lr_test_rand(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static void
test_chain3(void)
{
	LrGraph *g = lr_graph_new(3, 1);

	g_assert_nonnull(g);
	lr_graph_set_terminals(g, 0, 0, 5, 0);
	lr_graph_set_terminals(g, 2, 0, 0, 5);
	lr_graph_set_edge(g, 0, 0, 0, 2);
	lr_graph_set_edge(g, 1, 0, 0, 3);
	g_assert_cmpfloat_with_epsilon(lr_graph_maxflow(g), 2.0, 1e-6);
	g_assert_cmpint(lr_graph_is_source(g, 0, 0), ==, 1);
	g_assert_cmpint(lr_graph_is_source(g, 1, 0), ==, 0);
	g_assert_cmpint(lr_graph_is_source(g, 2, 0), ==, 0);
	lr_graph_free(g);
}

/* 2x2 with both diagonals: a=(0,0) tied to the source, d=(1,1) to the sink, b=(1,0) leans to the
 * source by 2, c=(0,1) to the sink by 0.5; every arc 1. The cuts are worked out below. */
static void
test_square2(void)
{
	LrGraph *g = lr_graph_new(2, 2);

	lr_graph_set_terminals(g, 0, 0, 10, 0);
	lr_graph_set_terminals(g, 1, 1, 0, 10);
	lr_graph_set_terminals(g, 1, 0, 2, 0);
	lr_graph_set_terminals(g, 0, 1, 0, 0.5f);
	for (int d = 0; d < 4; d++)
		lr_graph_set_edge(g, 0, 0, d, 1); /* a-b, a-c, a-d; dir 3 from (0,0) is outside: ignored */
	lr_graph_set_edge(g, 1, 0, 1, 1);	  /* b-d */
	lr_graph_set_edge(g, 1, 0, 3, 1);	  /* b-c */
	lr_graph_set_edge(g, 0, 1, 0, 1);	  /* c-d */
	/* Cut {a,b}|{c,d}: a-c, a-d, b-d, b-c = 4. Cut {a}|{b,c,d}: 3 arcs + b's source 2 = 5.
	 * Cut {a,b,c}|{d}: a-d, b-d, c-d + c's sink 0.5 = 3.5, the minimum. */
	g_assert_cmpfloat_with_epsilon(lr_graph_maxflow(g), 3.5, 1e-6);
	g_assert_true(lr_graph_is_source(g, 0, 0));
	g_assert_true(lr_graph_is_source(g, 1, 0));
	g_assert_true(lr_graph_is_source(g, 0, 1));
	g_assert_false(lr_graph_is_source(g, 1, 1));
	lr_graph_free(g);
}

/* Cut value of a labelling (bit i set: node i on the source side). */
static double
cut_value(int w, int h, const float *src, const float *snk, const float *edge, uint32_t labels)
{
	static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
	double c = 0;

	for (int i = 0; i < w * h; i++) {
		int s = (labels >> i) & 1;

		c += s ? snk[i] : src[i];
		for (int d = 0; d < 4; d++) {
			int x = i % w + dx[d], y = i / w + dy[d];

			if (x < 0 || x >= w || y >= h)
				continue;
			if (s != (int)((labels >> (y * w + x)) & 1))
				c += edge[i * 4 + d];
		}
	}
	return c;
}

static void
test_bruteforce(void)
{
	uint32_t state = 12345;

	for (int trial = 0; trial < 200; trial++) {
		int w = 2 + trial % 3, h = 2 + (trial / 3) % 3;
		int n = w * h;
		float src[16], snk[16], edge[64];
		double best = INFINITY, flow, got;
		uint32_t labels = 0;
		LrGraph *g = lr_graph_new(w, h);

		for (int i = 0; i < n; i++) {
			/* Mix of zero, one-sided and two-sided terminals, small integers so sums are exact. */
			src[i] = (float)(lr_test_rand(&state) % 4 == 0 ? 0 : lr_test_rand(&state) % 9);
			snk[i] = (float)(lr_test_rand(&state) % 4 == 0 ? 0 : lr_test_rand(&state) % 9);
			lr_graph_set_terminals(g, i % w, i / w, src[i], snk[i]);
			for (int d = 0; d < 4; d++) {
				edge[i * 4 + d] = (float)(lr_test_rand(&state) % 6);
				lr_graph_set_edge(g, i % w, i / w, d, edge[i * 4 + d]);
			}
		}
		/* Edges that leave the grid are ignored by the graph; zero them for the brute force. */
		for (int i = 0; i < n; i++)
			for (int d = 0; d < 4; d++) {
				static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
				int x = i % w + dx[d], y = i / w + dy[d];

				if (x < 0 || x >= w || y >= h)
					edge[i * 4 + d] = 0;
			}
		for (uint32_t l = 0; l < (1u << n); l++) {
			double c = cut_value(w, h, src, snk, edge, l);

			if (c < best)
				best = c;
		}
		flow = lr_graph_maxflow(g);
		for (int i = 0; i < n; i++)
			if (lr_graph_is_source(g, i % w, i / w))
				labels |= 1u << i;
		got = cut_value(w, h, src, snk, edge, labels);
		g_assert_cmpfloat_with_epsilon(flow, best, 1e-4);
		/* The labelling returned must itself be a minimum cut. */
		g_assert_cmpfloat_with_epsilon(got, best, 1e-4);
		lr_graph_free(g);
	}
}

/* Cut value on the grid with net terminal terms NET (> 0: to the source) and EDGE (4 per node, 0
 * where the neighbour is outside), of the labelling SOURCE (1: source side). Splitting a net term
 * into two-sided terminals adds the same constant to every cut, so this orders cuts as the graph
 * that was given two-sided terminals does. */
static double
cut_value_net(int w, int h, const float *net, const float *edge, const uint8_t *source)
{
	static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
	double c = 0;

	for (int i = 0; i < w * h; i++) {
		c += source[i] ? (net[i] < 0 ? -net[i] : 0) : (net[i] > 0 ? net[i] : 0);
		for (int d = 0; d < 4; d++) {
			int x = i % w + dx[d], y = i / w + dy[d];

			if (x >= 0 && x < w && y < h && source[i] != source[y * w + x])
				c += edge[i * 4 + d];
		}
	}
	return c;
}

/* Flow reuse (lr_graph_add_terminals, as segment.c's GrabCut rounds use it): a graph is solved, its
 * terminals are changed by random amounts of either sign several times (nodes switch sides, residuals
 * that were used up are asked for more than they have, others are returned), and after each change
 * the reused graph must give what a graph built from scratch with the final terminals gives: a cut of
 * the minimum value (checked by brute force on the small grids) and the same partition. The partition
 * is unique: both solvers leave on the source side exactly the nodes the source still reaches in the
 * residual graph, which is the same set for every maximum flow. Capacities are small integers, so
 * every sum is exact in float. */
static void
test_add_terminals(void)
{
	static const int dx[4] = {1, 0, 1, -1}, dy[4] = {0, 1, 1, 1};
	uint32_t state = 2024;

	for (int trial = 0; trial < 60; trial++) {
		/* Small grids for the brute force, then grids where long augmenting paths and orphans
		 * occur. */
		int small = trial < 40;
		int w = small ? 2 + trial % 3 : 24 + trial % 7, h = small ? 2 + (trial / 3) % 3 : 17;
		int n = w * h;
		float *net = g_new(float, n), *edge = g_new0(float, 4 * n);
		uint8_t *reused = g_new(uint8_t, n), *fresh = g_new(uint8_t, n);
		LrGraph *g = lr_graph_new(w, h);

		for (int i = 0; i < n; i++) {
			float src = (float)(lr_test_rand(&state) % 9), snk = (float)(lr_test_rand(&state) % 9);

			/* Two-sided terminals the first time, as lr_graph_set_terminals allows. */
			lr_graph_set_terminals(g, i % w, i / w, src, snk);
			net[i] = src - snk;
			for (int d = 0; d < 4; d++) {
				int x = i % w + dx[d], y = i / w + dy[d];

				if (x < 0 || x >= w || y >= h)
					continue;
				edge[i * 4 + d] = (float)(lr_test_rand(&state) % 6);
				lr_graph_set_edge(g, i % w, i / w, d, edge[i * 4 + d]);
			}
		}
		g_assert_cmpfloat(lr_graph_maxflow(g), >=, 0);
		for (int round = 0; round < 4; round++) {
			LrGraph *f = lr_graph_new(w, h);

			for (int i = 0; i < n; i++) {
				/* Most nodes change, by up to 12 either way: many switch sides. */
				float delta = lr_test_rand(&state) % 4 == 0
						      ? 0
						      : (float)((int)(lr_test_rand(&state) % 25) - 12);

				lr_graph_add_terminals(g, i % w, i / w, delta);
				net[i] += delta;
			}
			g_assert_cmpfloat(lr_graph_maxflow(g), >=, 0);
			for (int i = 0; i < n; i++) {
				lr_graph_set_terminals(f, i % w, i / w, net[i] > 0 ? net[i] : 0,
						       net[i] < 0 ? -net[i] : 0);
				for (int d = 0; d < 4; d++)
					lr_graph_set_edge(f, i % w, i / w, d, edge[i * 4 + d]);
			}
			double best = lr_graph_maxflow(f);

			for (int i = 0; i < n; i++) {
				reused[i] = (uint8_t)lr_graph_is_source(g, i % w, i / w);
				fresh[i] = (uint8_t)lr_graph_is_source(f, i % w, i / w);
			}
			if (small) {
				/* The from-scratch flow is itself checked against every partition. */
				double brute = INFINITY;
				uint8_t lab[16];

				for (uint32_t l = 0; l < (1u << n); l++) {
					for (int i = 0; i < n; i++)
						lab[i] = (l >> i) & 1;
					brute = MIN(brute, cut_value_net(w, h, net, edge, lab));
				}
				g_assert_cmpfloat_with_epsilon(best, brute, 1e-4);
			}
			g_assert_cmpfloat_with_epsilon(cut_value_net(w, h, net, edge, fresh), best, 1e-3);
			g_assert_cmpfloat_with_epsilon(cut_value_net(w, h, net, edge, reused), best, 1e-3);
			for (int i = 0; i < n; i++)
				g_assert_cmpint(reused[i], ==, fresh[i]);
			lr_graph_free(f);
		}
		lr_graph_free(g);
		g_free(net), g_free(edge), g_free(reused), g_free(fresh);
	}
}

/* Left 8 columns tied to the source, right 8 to the sink, all arcs 10 except the ones that cross
 * between columns 31 and 32, which are 1: the minimum cut crosses there, H right arcs plus H-1 arcs
 * of each diagonal. */
static void
test_strip(void)
{
	const int w = 64, h = 32;
	LrGraph *g = lr_graph_new(w, h);
	double flow;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			lr_graph_set_terminals(g, x, y, x < 8 ? 100 : 0, x >= w - 8 ? 100 : 0);
			for (int d = 0; d < 4; d++) {
				int crosses = (d == 0 || d == 2) ? x == 31 : d == 3 ? x == 32 : 0;

				lr_graph_set_edge(g, x, y, d, crosses ? 1 : 10);
			}
		}
	flow = lr_graph_maxflow(g);
	g_assert_cmpfloat_with_epsilon(flow, h + 2.0 * (h - 1), 1e-4);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			g_assert_cmpint(lr_graph_is_source(g, x, y), ==, x < 32);
	lr_graph_free(g);
}

/* An analysis-sized grid with a disc of source-leaning nodes in sink-leaning noise; prints the time
 * (not asserted) and checks the disc comes out. */
static void
test_speed(void)
{
	const int w = 400, h = 300;
	LrGraph *g = lr_graph_new(w, h);
	uint32_t state = 7;
	gint64 t0;
	double flow;
	int wrong = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int in = (x - 200) * (x - 200) + (y - 150) * (y - 150) < 90 * 90;
			float noise = (float)(lr_test_rand(&state) % 1000) / 1000.0f * 6 - 3;
			float u = (in ? 2.0f : -2.0f) + noise;

			lr_graph_set_terminals(g, x, y, u > 0 ? u : 0, u < 0 ? -u : 0);
			for (int d = 0; d < 4; d++)
				lr_graph_set_edge(g, x, y, d, d < 2 ? 2.0f : 1.4f);
		}
	t0 = g_get_monotonic_time();
	flow = lr_graph_maxflow(g);
	g_test_message("maxflow 400x300: flow %.1f in %.2f ms", flow,
		       (g_get_monotonic_time() - t0) / 1000.0);
	printf("# maxflow 400x300: %.2f ms\n", (g_get_monotonic_time() - t0) / 1000.0);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int in = (x - 200) * (x - 200) + (y - 150) * (y - 150) < 90 * 90;

			wrong += lr_graph_is_source(g, x, y) != in;
		}
	g_assert_cmpint(wrong, <, w * h / 100);
	lr_graph_free(g);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/maxflow/chain3", test_chain3);
	g_test_add_func("/maxflow/square2", test_square2);
	g_test_add_func("/maxflow/bruteforce", test_bruteforce);
	g_test_add_func("/maxflow/strip", test_strip);
	g_test_add_func("/maxflow/add_terminals", test_add_terminals);
	g_test_add_func("/maxflow/speed", test_speed);
	return g_test_run();
}
