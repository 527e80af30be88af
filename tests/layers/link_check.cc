// Linked with one layer's whole library and the layers below it: the link fails when the layer
// calls into a layer above its own.
int main() { return 0; }
