// Package index keeps the lifetime managers' indexes of connections by
// user and by group: a set of connections under each key, a key present
// only while its set is not empty, so that an index holds nothing for the
// users and groups that have gone.
package index

// Index holds a set of values by id under each key.
type Index[V any] map[string]map[string]V

// Add puts v under key as id.
func (x Index[V]) Add(key, id string, v V) {
	set := x[key]
	if set == nil {
		set = make(map[string]V)
		x[key] = set
	}
	set[id] = v
}

// Remove takes id from under key, and key itself once nothing is left
// under it.
func (x Index[V]) Remove(key, id string) {
	set := x[key]
	delete(set, id)
	if len(set) == 0 {
		delete(x, key)
	}
}
