package protocol

// InvalidText is invalidText for the external tests' fuzz targets.
var InvalidText = invalidText
