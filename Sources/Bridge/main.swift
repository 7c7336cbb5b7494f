// placeholder: replaced as this target is built
