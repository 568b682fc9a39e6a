# container: rules added with its code
