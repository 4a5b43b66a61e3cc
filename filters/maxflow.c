/* maxflow.c: minimum s-t cut on an 8-connected pixel grid, for the graph-cut segmentation.
 *
 * Method: the Boykov-Kolmogorov augmenting-path algorithm (Y. Boykov and V. Kolmogorov, "An
 * Experimental Comparison of Min-Cut/Max-Flow Algorithms for Energy Minimization in Vision", IEEE
 * TPAMI 26(9), 2004), following the structure of their reference implementation (maxflow-v3): two
 * search trees grown from the source and the sink, augmentation along the path found where they meet,
 * and adoption of the orphans that augmentation leaves, so the trees are reused rather than rebuilt.
 *
 * Specialised to a grid: a node's arcs are implicit (eight directions, the reverse arc of direction D
 * is direction D ^ 4 of the neighbour), so only one residual capacity per node and direction is stored,
 * and the terminal arcs are one signed residual per node (positive: residual to the source, negative:
 * residual to the sink), as in the reference. A tree parent is stored as the direction of the arc
 * from the node to its parent.
 */
#include "filters/maxflow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LR_NDIR 8
/* Parent codes beyond the eight directions. */
#define LR_PARENT_NONE 8     /* free node */
#define LR_PARENT_TERMINAL 9 /* child of its terminal */
#define LR_PARENT_ORPHAN 10  /* lost its parent during augmentation */
#define LR_INFINITE_D 0x7fffffff

struct _LrGraph {
	int width, height, n;
	float *cap;	 /* n * 8 residual arc capacities; arc (i, d) goes from i to its neighbour d */
	float *tr_cap;	 /* signed terminal residual: > 0 to the source, < 0 to the sink */
	double base_flow; /* flow through both terminal arcs of a node, min(source, sink) */
	float *base;	 /* per node share of base_flow, so terminals can be set again */
	uint8_t *parent;
	uint8_t *is_sink;
	uint8_t *valid; /* bit d set when neighbour d exists */
	int *next;	/* active queue link; -1 when not active, self at the tail */
	int *ts, *dist;
	int off[LR_NDIR];

	int active_first, active_last;
	int *orphans; /* ring buffer of orphan nodes */
	int orphan_head, orphan_count, orphan_size;
	int time;
	double flow;
};

static const int lr_graph_dx[LR_NDIR] = {1, 0, 1, -1, -1, 0, -1, 1};
static const int lr_graph_dy[LR_NDIR] = {0, 1, 1, 1, 0, -1, -1, -1};

LrGraph *
lr_graph_new(int width, int height)
{
	LrGraph *g;
	size_t n;

	if (width <= 0 || height <= 0)
		return NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return NULL;
	n = (size_t)width * height;
	g->width = width;
	g->height = height;
	g->n = (int)n;
	g->cap = calloc(n * LR_NDIR, sizeof(float));
	g->tr_cap = calloc(n, sizeof(float));
	g->base = calloc(n, sizeof(float));
	g->parent = malloc(n);
	g->is_sink = malloc(n);
	g->valid = malloc(n);
	g->next = malloc(n * sizeof(int));
	g->ts = malloc(n * sizeof(int));
	g->dist = malloc(n * sizeof(int));
	g->orphan_size = 1024;
	g->orphans = malloc(g->orphan_size * sizeof(int));
	if (!g->cap || !g->tr_cap || !g->base || !g->parent || !g->is_sink || !g->valid ||
	    !g->next || !g->ts || !g->dist || !g->orphans) {
		lr_graph_free(g);
		return NULL;
	}
	for (int d = 0; d < LR_NDIR; d++)
		g->off[d] = lr_graph_dy[d] * width + lr_graph_dx[d];
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			uint8_t v = 0;

			for (int d = 0; d < LR_NDIR; d++) {
				int nx = x + lr_graph_dx[d], ny = y + lr_graph_dy[d];

				if (nx >= 0 && nx < width && ny >= 0 && ny < height)
					v |= 1u << d;
			}
			g->valid[(size_t)y * width + x] = v;
		}
	return g;
}

void
lr_graph_free(LrGraph *graph)
{
	if (!graph)
		return;
	free(graph->cap);
	free(graph->tr_cap);
	free(graph->base);
	free(graph->parent);
	free(graph->is_sink);
	free(graph->valid);
	free(graph->next);
	free(graph->ts);
	free(graph->dist);
	free(graph->orphans);
	free(graph);
}

void
lr_graph_set_terminals(LrGraph *graph, int x, int y, float source, float sink)
{
	int i = y * graph->width + x;
	float m = source < sink ? source : sink;

	/* Flow that goes source -> node -> sink directly is counted once and removed from both arcs. */
	graph->base_flow += (double)m - graph->base[i];
	graph->base[i] = m;
	graph->tr_cap[i] = source - sink;
}

void
lr_graph_add_terminals(LrGraph *graph, int x, int y, float delta)
{
	/* The residual is stored signed (> 0: to the source, < 0: to the sink), which is exactly the
	 * reparametrised form: the change adds to it. */
	graph->tr_cap[y * graph->width + x] += delta;
}

void
lr_graph_set_edge(LrGraph *graph, int x, int y, int dir, float capacity)
{
	int i = y * graph->width + x;

	if (dir < 0 || dir > 3 || !(graph->valid[i] & (1u << dir)))
		return;
	graph->cap[(size_t)i * LR_NDIR + dir] = capacity;
	graph->cap[(size_t)(i + graph->off[dir]) * LR_NDIR + (dir ^ 4)] = capacity;
}

static void
lr_graph_set_active(LrGraph *g, int i)
{
	if (g->next[i] >= 0)
		return;
	if (g->active_last >= 0)
		g->next[g->active_last] = i;
	else
		g->active_first = i;
	g->active_last = i;
	g->next[i] = i;
}

/* Pops the next active node that still belongs to a tree, or -1. */
static int
lr_graph_next_active(LrGraph *g)
{
	for (;;) {
		int i = g->active_first;

		if (i < 0)
			return -1;
		if (g->next[i] == i)
			g->active_first = g->active_last = -1;
		else
			g->active_first = g->next[i];
		g->next[i] = -1;
		if (g->parent[i] != LR_PARENT_NONE)
			return i;
	}
}

static int
lr_graph_push_orphan(LrGraph *g, int i, int front)
{
	g->parent[i] = LR_PARENT_ORPHAN;
	if (g->orphan_count == g->orphan_size) {
		int size = g->orphan_size * 2;
		int *o = malloc(size * sizeof(int));

		if (!o)
			return -1;
		for (int k = 0; k < g->orphan_count; k++)
			o[k] = g->orphans[(g->orphan_head + k) % g->orphan_size];
		free(g->orphans);
		g->orphans = o;
		g->orphan_head = 0;
		g->orphan_size = size;
	}
	if (front) {
		g->orphan_head = (g->orphan_head + g->orphan_size - 1) % g->orphan_size;
		g->orphans[g->orphan_head] = i;
	} else {
		g->orphans[(g->orphan_head + g->orphan_count) % g->orphan_size] = i;
	}
	g->orphan_count++;
	return 0;
}

/* Pushes BOTTLENECK along the path through arc (I, D), I in the source tree, its neighbour in the
 * sink tree; nodes whose parent arc saturates become orphans. */
static int
lr_graph_augment(LrGraph *g, int mi, int md)
{
	float *cap = g->cap;
	int mj = mi + g->off[md];
	float bottleneck = cap[(size_t)mi * LR_NDIR + md];
	int i, d, err = 0;

	for (i = mi; (d = g->parent[i]) != LR_PARENT_TERMINAL; i += g->off[d]) {
		float c = cap[(size_t)(i + g->off[d]) * LR_NDIR + (d ^ 4)];

		if (bottleneck > c)
			bottleneck = c;
	}
	if (bottleneck > g->tr_cap[i])
		bottleneck = g->tr_cap[i];
	for (i = mj; (d = g->parent[i]) != LR_PARENT_TERMINAL; i += g->off[d]) {
		float c = cap[(size_t)i * LR_NDIR + d];

		if (bottleneck > c)
			bottleneck = c;
	}
	if (bottleneck > -g->tr_cap[i])
		bottleneck = -g->tr_cap[i];

	cap[(size_t)mj * LR_NDIR + (md ^ 4)] += bottleneck;
	cap[(size_t)mi * LR_NDIR + md] -= bottleneck;
	for (i = mi; (d = g->parent[i]) != LR_PARENT_TERMINAL;) {
		int p = i + g->off[d];
		float *back = &cap[(size_t)p * LR_NDIR + (d ^ 4)];

		cap[(size_t)i * LR_NDIR + d] += bottleneck;
		*back -= bottleneck;
		if (*back == 0)
			err |= lr_graph_push_orphan(g, i, 1);
		i = p;
	}
	g->tr_cap[i] -= bottleneck;
	if (g->tr_cap[i] == 0)
		err |= lr_graph_push_orphan(g, i, 1);
	for (i = mj; (d = g->parent[i]) != LR_PARENT_TERMINAL;) {
		int p = i + g->off[d];
		float *fwd = &cap[(size_t)i * LR_NDIR + d];

		cap[(size_t)p * LR_NDIR + (d ^ 4)] += bottleneck;
		*fwd -= bottleneck;
		if (*fwd == 0)
			err |= lr_graph_push_orphan(g, i, 1);
		i = p;
	}
	g->tr_cap[i] += bottleneck;
	if (g->tr_cap[i] == 0)
		err |= lr_graph_push_orphan(g, i, 1);
	g->flow += bottleneck;
	return err;
}

/* Finds a new parent for orphan I in its own tree (one whose path reaches the terminal), or frees it
 * and orphans its children. Distances cached with timestamps keep the search short, as in BK. */
static int
lr_graph_adopt(LrGraph *g, int i)
{
	const float *cap = g->cap;
	int sink = g->is_sink[i];
	int d_min = LR_INFINITE_D, dir_min = -1;
	uint8_t valid = g->valid[i];

	for (int d0 = 0; d0 < LR_NDIR; d0++) {
		int j, dd, dist;
		float c;

		if (!(valid & (1u << d0)))
			continue;
		j = i + g->off[d0];
		/* A source node needs residual from the parent to it, a sink node from it to the parent. */
		c = sink ? cap[(size_t)i * LR_NDIR + d0] : cap[(size_t)j * LR_NDIR + (d0 ^ 4)];
		if (c == 0 || g->is_sink[j] != sink || g->parent[j] == LR_PARENT_NONE)
			continue;
		dist = 0;
		for (;;) {
			if (g->ts[j] == g->time) {
				dist += g->dist[j];
				break;
			}
			dd = g->parent[j];
			dist++;
			if (dd == LR_PARENT_TERMINAL) {
				g->ts[j] = g->time;
				g->dist[j] = 1;
				break;
			}
			if (dd == LR_PARENT_ORPHAN) {
				dist = LR_INFINITE_D;
				break;
			}
			j += g->off[dd];
		}
		if (dist < LR_INFINITE_D) {
			if (dist < d_min) {
				d_min = dist;
				dir_min = d0;
			}
			for (j = i + g->off[d0]; g->ts[j] != g->time; j += g->off[g->parent[j]]) {
				g->ts[j] = g->time;
				g->dist[j] = dist--;
			}
		}
	}
	if (dir_min >= 0) {
		g->parent[i] = (uint8_t)dir_min;
		g->ts[i] = g->time;
		g->dist[i] = d_min + 1;
		return 0;
	}
	g->parent[i] = LR_PARENT_NONE;
	for (int d0 = 0; d0 < LR_NDIR; d0++) {
		int j, dd;
		float c;

		if (!(valid & (1u << d0)))
			continue;
		j = i + g->off[d0];
		dd = g->parent[j];
		if (g->is_sink[j] != sink || dd == LR_PARENT_NONE)
			continue;
		c = sink ? cap[(size_t)i * LR_NDIR + d0] : cap[(size_t)j * LR_NDIR + (d0 ^ 4)];
		if (c != 0)
			lr_graph_set_active(g, j);
		if (dd < LR_NDIR && j + g->off[dd] == i)
			if (lr_graph_push_orphan(g, j, 0))
				return -1;
	}
	return 0;
}

double
lr_graph_maxflow(LrGraph *graph)
{
	LrGraph *g = graph;
	const float *cap = g->cap;
	int current = -1;

	g->active_first = g->active_last = -1;
	g->orphan_head = g->orphan_count = 0;
	g->time = 0;
	g->flow = 0;
	for (int i = 0; i < g->n; i++) {
		g->next[i] = -1;
		g->ts[i] = 0;
		if (g->tr_cap[i] != 0) {
			g->is_sink[i] = g->tr_cap[i] < 0;
			g->parent[i] = LR_PARENT_TERMINAL;
			g->dist[i] = 1;
			lr_graph_set_active(g, i);
		} else {
			g->is_sink[i] = 0;
			g->parent[i] = LR_PARENT_NONE;
		}
	}

	for (;;) {
		int i = current, mi = -1, md = -1;

		if (i >= 0) {
			g->next[i] = -1;
			if (g->parent[i] == LR_PARENT_NONE)
				i = -1;
		}
		if (i < 0 && (i = lr_graph_next_active(g)) < 0)
			break;

		/* Grow the tree of I by one layer, stopping at the first arc that meets the other tree. */
		for (int d = 0; d < LR_NDIR; d++) {
			int j;
			float c;

			if (!(g->valid[i] & (1u << d)))
				continue;
			j = i + g->off[d];
			c = g->is_sink[i] ? cap[(size_t)j * LR_NDIR + (d ^ 4)] : cap[(size_t)i * LR_NDIR + d];
			if (c == 0)
				continue;
			if (g->parent[j] == LR_PARENT_NONE) {
				g->is_sink[j] = g->is_sink[i];
				g->parent[j] = (uint8_t)(d ^ 4);
				g->ts[j] = g->ts[i];
				g->dist[j] = g->dist[i] + 1;
				lr_graph_set_active(g, j);
			} else if (g->is_sink[j] != g->is_sink[i]) {
				if (g->is_sink[i]) {
					mi = j;
					md = d ^ 4;
				} else {
					mi = i;
					md = d;
				}
				break;
			} else if (g->ts[j] <= g->ts[i] && g->dist[j] > g->dist[i]) {
				/* Shorter paths keep the later orphan searches short. */
				g->parent[j] = (uint8_t)(d ^ 4);
				g->ts[j] = g->ts[i];
				g->dist[j] = g->dist[i] + 1;
			}
		}

		g->time++;
		if (mi >= 0) {
			/* I stays marked active (next == self) so it is grown again before the queue. */
			g->next[i] = i;
			current = i;
			if (lr_graph_augment(g, mi, md))
				return -1;
			while (g->orphan_count > 0) {
				int o = g->orphans[g->orphan_head];

				g->orphan_head = (g->orphan_head + 1) % g->orphan_size;
				g->orphan_count--;
				if (lr_graph_adopt(g, o))
					return -1;
			}
		} else {
			current = -1;
		}
	}
	return g->flow + g->base_flow;
}

int
lr_graph_is_source(const LrGraph *graph, int x, int y)
{
	int i = y * graph->width + x;

	/* Free nodes could go either way; they go to the sink (background), the cautious side. */
	return graph->parent[i] != LR_PARENT_NONE && !graph->is_sink[i];
}
