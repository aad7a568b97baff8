module.exports = require("./lazyModule")("normalize-package-data");
