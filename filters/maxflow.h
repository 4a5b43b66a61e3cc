/* maxflow.h: minimum s-t cut on a grid graph (Boykov-Kolmogorov augmenting paths with tree reuse).
 *
 * Nodes are the pixels of a WIDTH x HEIGHT grid; each has a source (product) and a sink (background)
 * capacity and up to four forward edges to its right, down, down-right and down-left neighbours
 * (8-connectivity), each with the same capacity in both directions.
 */
#ifndef LR_MAXFLOW_H
#define LR_MAXFLOW_H

typedef struct _LrGraph LrGraph;

/* Creates a graph for a WIDTH x HEIGHT grid with all capacities 0. NULL if memory ran out. */
LrGraph *lr_graph_new(int width, int height);

/* Frees GRAPH. Accepts NULL. */
void lr_graph_free(LrGraph *graph);

/* Sets the terminal capacities of node (X, Y): SOURCE to the product terminal, SINK to background. */
void lr_graph_set_terminals(LrGraph *graph, int x, int y, float source, float sink);

/* After lr_graph_maxflow(): changes the terminal capacities of node (X, Y) by DELTA (source minus sink)
 * while keeping the flow found so far, so that the next lr_graph_maxflow() only pushes what the change
 * adds (P. Kohli and P. Torr, "Dynamic Graph Cuts for Efficient Inference in Markov Random Fields",
 * TPAMI 2007: adding the same amount to both terminal arcs of a node changes no cut, so a residual
 * that would turn negative is carried over to the other arc). Edges must not be changed in between. */
void lr_graph_add_terminals(LrGraph *graph, int x, int y, float delta);

/* Sets the capacity of the edge between (X, Y) and its neighbour in direction DIR: 0 right, 1 down,
 * 2 down-right, 3 down-left. */
void lr_graph_set_edge(LrGraph *graph, int x, int y, int dir, float capacity);

/* Computes the maximum flow; returns its value, or -1 if memory ran out. */
double lr_graph_maxflow(LrGraph *graph);

/* After lr_graph_maxflow(): 1 if node (X, Y) is on the source (product) side of the minimum cut. */
int lr_graph_is_source(const LrGraph *graph, int x, int y);

#endif
