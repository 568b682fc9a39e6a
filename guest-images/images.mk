# guest-images: rules added with its code
